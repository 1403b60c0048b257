import { Controller, Get, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  TypeOrmHealthIndicator,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { Public } from '../../accounts/api-key.guard';
import { HealthCheckFailedFilter } from './health-check-failed.filter';
import { RedisHealthIndicator } from './redis.health';

/** How long readiness waits for each of PostgreSQL and Redis (checked together). */
const READY_TIMEOUT_MS = 1_000;

/** Liveness and readiness, on every process whatever its role, without an API key. */
@ApiTags('operations')
@Controller('health')
@UseFilters(HealthCheckFailedFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  @Get()
  @Public()
  @HealthCheck()
  @ApiOperation({
    summary: 'Liveness: the process answers (its dependencies are not checked; see /health/ready)',
  })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: PostgreSQL and Redis answer within 1 s each; 503 names what is down',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: READY_TIMEOUT_MS }),
      () => this.redis.pingCheck('redis', { timeout: READY_TIMEOUT_MS }),
    ]);
  }
}
