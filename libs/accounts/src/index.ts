export { User, type Role } from './user.entity';
export { hashPassword, verifyPassword, decoyHash, MAX_PASSWORD_BYTES } from './passwords';
export { createAccount, findAccountForLogin, setAccountRole, listAccounts, toAccountView, EmailTakenError, type NewAccount, type AccountView } from './accounts';
