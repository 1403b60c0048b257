import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller';

/** The web dashboard for people; only processes that serve the API import it. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
