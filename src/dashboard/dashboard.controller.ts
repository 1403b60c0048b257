// Serves the dashboard's three static files. They are public; the data the page shows needs a key.
import { Controller, Get, Header, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { join } from 'node:path';
import { Public } from '../accounts/api-key.guard';

/** nest-cli.json copies src/dashboard/public next to the compiled controller. */
const PUBLIC_DIR = join(__dirname, 'public');

/**
 * The page loads nothing but its own files and the Socket.IO client the server serves; it is never
 * framed. CSP 'self' covers same-origin WebSocket connections too.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  @Get()
  @Header('Content-Security-Policy', PAGE_POLICY)
  page(@Res() response: Response): void {
    send(response, 'index.html', 'text/html; charset=utf-8');
  }

  @Get('dashboard/dashboard.js')
  script(@Res() response: Response): void {
    send(response, 'dashboard.js', 'text/javascript; charset=utf-8');
  }

  @Get('dashboard/dashboard.css')
  styles(@Res() response: Response): void {
    send(response, 'dashboard.css', 'text/css; charset=utf-8');
  }
}

function send(response: Response, file: string, type: string): void {
  // no-cache: a browser revalidates, so a new release shows at once.
  response
    .type(type)
    .set({ 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' })
    .sendFile(join(PUBLIC_DIR, file));
}
