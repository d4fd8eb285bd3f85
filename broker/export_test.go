package broker

// ReconnectBackoff is the reconnect policy Dial hands watermill-amqp.
var ReconnectBackoff = reconnectBackoff
