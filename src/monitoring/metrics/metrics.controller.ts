import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../../accounts/api-key.guard';
import { MetricsTokenGuard } from './metrics-token.guard';
import { MetricsService } from '../../metrics/metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  // Not an account's route: METRICS_TOKEN, not an API key, opens it.
  @Public()
  @UseGuards(MetricsTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Prometheus metrics of this process (every role serves them on its PORT)',
    description: 'With METRICS_TOKEN set, needs `Authorization: Bearer <METRICS_TOKEN>`.',
  })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and was not sent.' })
  @ApiTooManyRequestsResponse({
    description:
      'METRICS_TOKEN is set and this client address failed authentication AUTH_FAILURES_PER_MINUTE times this minute (on any surface): every credential it sends is refused until Retry-After.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text exposition format 0.0.4',
    schema: { type: 'string', example: 'salvo_messages_sent_total{priority="high"} 42' },
  })
  async scrape(@Res() res: Response): Promise<void> {
    // Written as is: Express's send() would rewrite the content type's parameters.
    const body = await this.metrics.scrape();
    res.status(200).setHeader('Content-Type', this.metrics.contentType).end(body);
  }
}
