import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationError as FieldValidationError, type ValidatorOptions } from 'class-validator';
import { CommonException } from './app-exception.js';

interface FieldError {
  field: string;
  messages: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

const NOT_NESTED = new Set<unknown>([Array, Object, String, Number, Boolean, Date]);

/**
 * Arrays where a DTO declares one nested object (`firstAdmin?: PersonInput`): @ValidateNested
 * validates each item of an array and so lets `[]` through, which the service then reads as
 * an object. Found by the API fuzz test.
 */
function arraysForObjects(instance: object): FieldValidationError[] {
  return Object.entries(instance).flatMap(
    ([property, value]: [string, unknown]): FieldValidationError[] => {
      if (value === null || typeof value !== 'object') return [];
      const error = Object.assign(new FieldValidationError(), {
        target: instance,
        property,
        value,
      });
      if (Array.isArray(value)) {
        const declared: unknown = Reflect.getMetadata('design:type', instance, property);
        if (typeof declared !== 'function' || NOT_NESTED.has(declared)) return [];
        return [
          Object.assign(error, { constraints: { isObject: `${property} must be an object` } }),
        ];
      }
      const children = arraysForObjects(value);
      return children.length > 0 ? [Object.assign(error, { children })] : [];
    },
  );
}

class RequestValidationPipe extends ValidationPipe {
  protected override async validate(
    object: object,
    options?: ValidatorOptions,
  ): Promise<FieldValidationError[]> {
    return [...(await super.validate(object, options)), ...arraysForObjects(object)];
  }
}

/** Global request validation: unknown fields refused, the failing fields named in the error. */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      const summary = fields.map((f) => `${f.field}: ${f.messages.join(', ')}`).join('; ');
      return new CommonException('VALIDATION_FAILED', `Invalid request. ${summary}`, {
        errors: fields,
      });
    },
  });
}
