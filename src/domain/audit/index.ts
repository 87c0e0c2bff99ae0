export { auditReadEvents, type AuditReadEvent } from './events';
