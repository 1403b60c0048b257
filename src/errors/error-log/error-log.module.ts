import { Module } from '@nestjs/common';
import { ErrorLogController } from './error-log.controller';
import { ErrorLogRepository } from './error-log.repository';
import { ErrorLogService } from './error-log.service';

/** `GET /api/batch/:id/errors` (API processes only); the log is written by dispatch. */
@Module({
  controllers: [ErrorLogController],
  providers: [ErrorLogService, ErrorLogRepository],
  exports: [ErrorLogService],
})
export class ErrorLogModule {}
