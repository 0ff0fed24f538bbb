import { IsOptional, ValidateIf } from 'class-validator';

/**
 * A property the client may leave out. Unlike class-validator's @IsOptional, `null` is not
 * "left out": it is validated like any other value (and so refused by @IsString and the like),
 * unless the property is declared `nullable`, where null is a meaningful value (e.g. "no idle
 * timeout"). Found by the API fuzz test: `{"password": null}` reached the password hasher.
 */
export function Optional(options: { nullable?: boolean } = {}): PropertyDecorator {
  return options.nullable ? IsOptional() : ValidateIf((_, value) => value !== undefined);
}
