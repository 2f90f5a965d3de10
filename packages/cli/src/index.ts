export { runStoreDemo } from './storeDemo.js';
export { runKernelDemo } from './kernelDemo.js';
