import { Module } from '@nestjs/common';
import { ProviderBreakers } from './provider-breakers';

/**
 * The providers' circuit breakers, for dispatch (worker processes) and the analytics (API
 * processes). Kept apart from SmsModule, which builds the adapters (and SMPP's binds) and belongs
 * to workers only.
 */
@Module({ providers: [ProviderBreakers], exports: [ProviderBreakers] })
export class RoutingModule {}
