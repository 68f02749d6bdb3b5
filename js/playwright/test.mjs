import api from './test.js';

export const { test, expect } = api;
export default api.test;
