import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggingConfig, type LoggingConfig } from '../config/configuration';
import { loggerParams } from './logger-options';

/** Every Nest `Logger` call, and one line per HTTP request, as JSON on stdout (nestjs-pino). */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [loggingConfig.KEY],
      useFactory: (config: LoggingConfig) => loggerParams(config),
    }),
  ],
})
export class LoggingModule {}
