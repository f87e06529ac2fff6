export { StorageModule, InjectObjectStore } from './storage.module';
export { OBJECT_STORE, type ObjectStore, type StoredObject, type ByteRange, type PutOptions } from './object-store';
export { LocalObjectStore } from './local-object-store';
export { createObjectStore } from './storage.providers';
export { assertObjectKey, objectKey, contentTypeOf } from './object-key';
export { StorageError, ObjectKeyError, ObjectNotFoundError, ObjectTooLargeError, isStorageError } from './errors';
export { parseRange, type RangeRequest } from './byte-range';
export { sendObject, type SendObjectOptions } from './send-object';
