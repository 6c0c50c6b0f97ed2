// Preloaded (NODE_OPTIONS=--require) into the deploy rehearsal's processes only: TLS connections to
// Twilio's Serverless API and Studio hosts go to the local stand-in on SERVERLESS_DOUBLE_PORT instead. The name
// stays the TLS server name, so the stand-in's certificate (signed by the test's throwaway CA, trusted
// through NODE_EXTRA_CA_CERTS) is checked against it as usual. Nothing else is touched.
'use strict';
const tls = require('node:tls');

const port = Number(process.env.SERVERLESS_DOUBLE_PORT);
const hosts = new Set(['serverless.twilio.com', 'serverless-upload.twilio.com', 'studio.twilio.com']);
if (Number.isInteger(port) && port > 0) {
  const connect = tls.connect;
  tls.connect = function redirected(...args) {
    const options = args.find((arg) => arg && typeof arg === 'object');
    const name = options && (options.servername || options.host);
    if (name && hosts.has(name)) {
      options.servername = name;
      options.host = '127.0.0.1';
      options.port = port;
      if (typeof args[0] === 'number') args[0] = port;
      if (typeof args[1] === 'string') args[1] = '127.0.0.1';
    }
    return connect.apply(this, args);
  };
}
