import Reporter from './reporter.js';

export default Reporter;
