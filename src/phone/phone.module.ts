import { Module } from '@nestjs/common';
import { PhoneNumberParserService } from './phone-number-parser.service';

/**
 * Phone number parsing on worker threads: one pool per process, shared by batch ingest and the
 * suppressions API, so numbers are normalised alike and the threads are started once.
 */
@Module({
  providers: [PhoneNumberParserService],
  exports: [PhoneNumberParserService],
})
export class PhoneModule {}
