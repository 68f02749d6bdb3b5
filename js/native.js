'use strict';
// The one place the native addon is loaded (through napi-rs's generated loader).
module.exports = require('../index.js');
