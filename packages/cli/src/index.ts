export { runStoreDemo } from './storeDemo.js';
