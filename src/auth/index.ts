export { apiKeyPrefix, createApiKey, hashApiKey } from './api-key.js';
export { createJwtVerifier, type JwtVerdict, type JwtVerifier, type JwtVerifierOptions, scopesOf } from './jwt-verifier.js';
export { createKeyVerifier, type KeyVerdict, type KeyVerifierOptions } from './key-verifier.js';
