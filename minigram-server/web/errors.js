// API errors in plain words. The server answers {"error","code","field"?};
// programs branch on `code`, people read what this makes of it.

// A failed API call: the HTTP status, the body's code and field, the
// server's own sentence, and Retry-After in seconds when given.
export class ApiError extends Error {
  constructor({ status, code, field, message, retryAfter }) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

// 10485760 → "10 MB", 4096 → "4 KB".
export function size(bytes) {
  const round = (n) => Math.round(n * 10) / 10;
  return bytes >= 1024 * 1024 ? `${round(bytes / (1024 * 1024))} MB` : `${round(bytes / 1024)} KB`;
}

// What to tell the person. `limits.maxUploadBytes` names the upload limit.
export function explain(error, limits = {}) {
  if (!(error instanceof ApiError)) {
    return 'Could not reach the server. Check your connection and try again.';
  }
  const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : ' Try again in a moment.';
  switch (error.code) {
    case 'username_taken': return 'That username is already taken. Pick another one.';
    case 'email_taken': return 'That email address already has an account. Log in instead?';
    case 'invalid_credentials': return 'Wrong username or password.';
    case 'rate_limited': return `Too many attempts in a short time.${wait}`;
    case 'payload_too_large':
      return limits.maxUploadBytes
        ? `That file is too large: photos can be at most ${size(limits.maxUploadBytes)}.`
        : 'That file is too large.';
    case 'unsupported_media_type':
      return 'That file is not an image this site takes. Use a JPEG, PNG, WebP or GIF picture.';
    case 'missing_file': return 'Choose a photo first.';
    case 'overloaded':
    case 'unavailable': return `The service is busy or unavailable right now.${wait}`;
    case 'csrf_rejected': return 'This request did not come from this site, so it was refused.';
    case 'token_expired':
    case 'token_revoked':
    case 'invalid_token':
    case 'missing_token': return 'Your session has ended. Please log in again.';
    case 'invalid_input':
      // The server says "invalid password: must be at least 8 characters".
      return error.field
        ? `The ${error.field} ${error.message.replace(/^invalid [^:]*: /, '')}.`
        : error.message;
    default:
      if (error.status >= 500) return `Something went wrong on the server.${wait}`;
      return error.message || 'That did not work.';
  }
}
