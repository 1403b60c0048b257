import { Module } from '@nestjs/common';
import { PhoneNumberParserService } from '../phone/phone-number-parser.service';
import { InboundMessagesController } from './inbound-messages.controller';
import { InboundMessagesService } from './inbound-messages.service';
import { SuppressionsController } from './suppressions.controller';
import { SuppressionsRepository } from './suppressions.repository';
import { SuppressionsService } from './suppressions.service';

/**
 * The REST API of consent (API processes only): suppressions and the inbound messages of an
 * account. Its own phone parser, whose threads start with the first large request.
 */
@Module({
  controllers: [SuppressionsController, InboundMessagesController],
  providers: [
    SuppressionsService,
    SuppressionsRepository,
    InboundMessagesService,
    PhoneNumberParserService,
  ],
})
export class SuppressionsHttpModule {}
