// What DestinationPolicyService reads of an account.

/** ($1 account id) → (allowed_countries): the account's own narrowing of ALLOWED_COUNTRIES. */
export const ACCOUNT_ALLOWED_COUNTRIES = `SELECT allowed_countries FROM accounts WHERE id = $1`;
