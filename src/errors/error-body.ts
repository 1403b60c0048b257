import type { ErrorCode, ErrorDetail } from './domain-error';

/** The error body of every route (README, "Errors"). */
export interface ErrorBody {
  statusCode: number;
  error: ErrorCode;
  message: string;
  details?: ErrorDetail[];
  detailsTotal?: number;
  correlationId?: string;
}

export const MAX_ERROR_DETAILS = 100;

export function errorBody(
  statusCode: number,
  error: ErrorCode,
  message: string,
  details?: ErrorDetail[],
): ErrorBody {
  const body: ErrorBody = { statusCode, error, message };
  if (details?.length) {
    body.details = details.slice(0, MAX_ERROR_DETAILS);
    if (details.length > MAX_ERROR_DETAILS) body.detailsTotal = details.length;
  }
  return body;
}
