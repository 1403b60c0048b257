import { Module } from '@nestjs/common';
import { PhoneModule } from '../phone/phone.module';
import { InboundMessagesController } from './inbound-messages.controller';
import { InboundMessagesService } from './inbound-messages.service';
import { SuppressionsController } from './suppressions.controller';
import { SuppressionsRepository } from './suppressions.repository';
import { SuppressionsService } from './suppressions.service';

/**
 * The REST API of consent (API processes only): suppressions and the inbound messages of an
 * account. Numbers are parsed by the process's one phone parser (PhoneModule), as ingest does.
 */
@Module({
  imports: [PhoneModule],
  controllers: [SuppressionsController, InboundMessagesController],
  providers: [SuppressionsService, SuppressionsRepository, InboundMessagesService],
})
export class SuppressionsHttpModule {}
