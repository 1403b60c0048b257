import { ApiProperty } from '@nestjs/swagger';
import { IsString, registerDecorator, type ValidationArguments } from 'class-validator';
import { KEY_NAME_MAX_LENGTH, keyNameProblem } from '../key-name';

/** The rules of key-name.ts, as a class-validator constraint (the CLI checks the same function). */
function IsKeyName(): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isKeyName',
      target: target.constructor,
      propertyName: propertyName as string,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && !keyNameProblem(value),
        defaultMessage: (args?: ValidationArguments) =>
          typeof args?.value === 'string'
            ? (keyNameProblem(args.value) ?? 'is not a valid key name')
            : 'must be a string',
      },
    });
}

export class CreateApiKeyDto {
  @ApiProperty({
    example: 'ci',
    minLength: 1,
    maxLength: KEY_NAME_MAX_LENGTH,
    description: `What you call the key, to tell keys apart: 1 to ${KEY_NAME_MAX_LENGTH} characters (code points), not blank, none of Unicode's control, format (bidi overrides, zero-width), surrogate, private-use or unassigned characters nor line or paragraph separators. Not secret, not unique.`,
  })
  // Checked bottom up, and the first failure is the one reported: a string first.
  @IsKeyName()
  @IsString()
  name: string;
}
