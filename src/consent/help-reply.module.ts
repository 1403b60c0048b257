import { Module } from '@nestjs/common';
import { SmsModule } from '../sms/sms.module';
import { HelpReplyProcessor } from './help-reply.processor';
import { HelpReplyService } from './help-reply.service';

/** Answers to HELP (worker processes only): sent through the provider adapters. */
@Module({
  imports: [SmsModule],
  providers: [HelpReplyService, HelpReplyProcessor],
})
export class HelpReplyModule {}
