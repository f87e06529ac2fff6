export { User, type Role } from './user.entity';
export { hashPassword, verifyPassword, decoyHash, MAX_PASSWORD_BYTES } from './passwords';
export { isPasswordHashPoolBusyError, PasswordHashPoolBusyError } from './password-hash-pool';
export {
  createAccount,
  findAccountForLogin,
  findAccountRole,
  setAccountRole,
  setAccountRoleById,
  deleteAccount,
  listAccounts,
  toAccountView,
  EmailTakenError,
  type NewAccount,
  type AccountView,
} from './accounts';
