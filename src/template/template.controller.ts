import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../errors/error-responses.decorator';
import { JsonBody } from '../request-body/body-limits';
import { TemplatePreviewDto, TemplatePreviewRequestDto } from './dto/template-preview.dto';
import { previewRequest } from './template-preview';

@ApiTags('templates')
@ApiBearerAuth()
@Controller('api/template')
export class TemplateController {
  @Post('preview')
  @JsonBody('preview')
  @HttpCode(200)
  @ApiOperation({ summary: 'Render a template and count its SMS segments' })
  @ApiBody({ type: TemplatePreviewRequestDto })
  @ApiOkResponse({ type: TemplatePreviewDto })
  @ApiErrors('VALIDATION_FAILED', 'PAYLOAD_TOO_LARGE')
  preview(@Body() body: unknown): TemplatePreviewDto {
    return previewRequest(body);
  }
}
