import { Module } from '@nestjs/common';
import { TemplateController } from './template.controller';

/** Templates: `{{variable}}` parsing and rendering, SMS segment counting, the preview route. */
@Module({ controllers: [TemplateController] })
export class TemplateModule {}
