// Preloaded into the local twilio-run process (NODE_OPTIONS=--require): twilio-run start listens on
// every interface (app.listen(port)); this keeps a server that names no host on 127.0.0.1, so the local
// stack is reachable from this machine only. Servers that name a host are left as they are.
'use strict';
const net = require('node:net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function loopbackOnly(...args) {
  if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1');
  else if (args[0] && typeof args[0] === 'object' && !Array.isArray(args[0]) && args[0].port !== undefined && args[0].host === undefined && args[0].path === undefined) args[0] = { ...args[0], host: '127.0.0.1' };
  return listen.apply(this, args);
};
