// Anthropic error envelope and the status → error type mapping Claude Code understands (design.md §4.4).
import { DsbError, type DsbErrorCode } from '../../errors.js';

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
}

/**
 * An error the bridge answers with: HTTP status, Anthropic error type, message and extra headers,
 * and a code for the bridge's own decisions (`PROMPT_TOO_LONG` makes it look at the context again).
 */
export class BridgeError extends DsbError {
  readonly status: number;
  readonly type: AnthropicErrorType;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    type: AnthropicErrorType,
    message: string,
    headers: Record<string, string> = {},
    code: DsbErrorCode = 'BRIDGE_ERROR',
  ) {
    super(code, message);
    this.name = 'BridgeError';
    this.status = status;
    this.type = type;
    this.headers = headers;
  }

  toBody(): AnthropicErrorBody {
    return errorBody(this.type, this.message);
  }

  /** The same error with another message (redacted), keeping its status, type, headers and code. */
  withMessage(message: string): BridgeError {
    return message === this.message
      ? this
      : new BridgeError(this.status, this.type, message, this.headers, this.code);
  }
}

export function errorBody(type: AnthropicErrorType, message: string): AnthropicErrorBody {
  return { type: 'error', error: { type, message } };
}

export function errorTypeForStatus(status: number): AnthropicErrorType {
  switch (status) {
    case 400:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/** The exact wording Claude Code compacts on (design.md §4.4, §6). */
export function promptTooLongError(promptTokens: number, maxTokens: number): BridgeError {
  return new BridgeError(
    400,
    'invalid_request_error',
    `prompt is too long: ${promptTokens} tokens > ${maxTokens} maximum`,
    {},
    'PROMPT_TOO_LONG',
  );
}
