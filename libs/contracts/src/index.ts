export { TOPICS, type TopicName } from './topics';
export { QUEUES, type QueueName } from './queues';
export { parseOrderPlacedV1, type OrderPlacedV1, type OrderLineV1 } from './events/order-placed';
export { ContractError, isContractError } from './validation';
