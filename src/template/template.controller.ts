import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../errors/error-responses.decorator';
import { JsonBody } from '../request-body/body-limits';
import { TemplatePreviewDto, TemplatePreviewRequestDto } from './dto/template-preview.dto';
import { previewTemplate } from './template-preview';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('api/template')
export class TemplateController {
  @Post('preview')
  @JsonBody('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Render a template and count its SMS segments' })
  @ApiOkResponse({ type: TemplatePreviewDto })
  @ApiErrors('VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE')
  preview(@Body() body: TemplatePreviewRequestDto): TemplatePreviewDto {
    return previewTemplate(body.text, body.variables);
  }
}
