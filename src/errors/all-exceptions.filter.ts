import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { requestIdOf } from '../logging/request-id';
import { dropUnreadBody } from '../http/unread-body';
import { DomainError, ERROR_STATUS, type ErrorCode } from './domain-error';
import { errorBody, type ErrorBody } from './error-body';
import { asServiceUnavailable } from './unavailable';

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  404: 'NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
};

/**
 * Maps every error of every HTTP route to the one error body: PostgreSQL or Redis out of reach is a
 * 503 with Retry-After (errors/unavailable.ts), anything else unexpected a logged 500.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(thrown: unknown, host: ArgumentsHost): void {
    const exception = this.unavailable(thrown) ?? thrown;
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const body = this.toBody(exception, requestIdOf(request));
    if (response.headersSent) return;
    // Refused before its body was read (a wrong key, an unknown route): what is still on its way
    // is dropped for a moment, then the connection closes.
    dropUnreadBody(request, response);
    // RFC 6750: a 401 names the scheme it wants.
    if (body.statusCode === 401) response.setHeader('WWW-Authenticate', 'Bearer');
    if (exception instanceof DomainError && exception.retryAfterSeconds !== undefined) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(body.statusCode).json(body);
  }

  /** The 503 for a dependency out of reach, logged in one line: no stack, it is not a bug. */
  private unavailable(exception: unknown): DomainError | undefined {
    const unavailable = asServiceUnavailable(exception);
    if (unavailable) {
      this.logger.warn(`Answered 503, a dependency is out of reach: ${String(exception)}`);
    }
    return unavailable;
  }

  /** A 500's correlation id is the request id, so the answer leads to the request's log lines. */
  toBody(exception: unknown, requestId?: string): ErrorBody {
    if (exception instanceof DomainError) {
      return errorBody(
        ERROR_STATUS[exception.code],
        exception.code,
        exception.message,
        exception.details,
      );
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_STATUS_CODES[status];
      if (code) return errorBody(status, code, httpMessage(exception));
    }
    const correlationId = requestId ?? randomUUID();
    this.logger.error(
      `Unhandled error (correlationId ${correlationId})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return {
      ...errorBody(
        HttpStatus.INTERNAL_SERVER_ERROR,
        'INTERNAL',
        'Something went wrong on our side; it has been logged.',
      ),
      correlationId,
    };
  }
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'object' && response !== null && 'message' in response) {
    const { message } = response;
    if (typeof message === 'string') return sentence(message);
  }
  return sentence(exception.message);
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}
