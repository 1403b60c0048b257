import { Injectable, PipeTransform } from '@nestjs/common';
import { InvalidId } from '../errors/domain-error';
import { isUuid } from './uuid-v7';

/** Route ids are UUIDs: anything else is a 400 INVALID_ID, never a lookup. */
@Injectable()
export class ParseUuidPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUuid(value)) throw new InvalidId('id', value);
    return value.toLowerCase();
  }
}
