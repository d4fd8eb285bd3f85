// Package e2e drives the real mallbots binary as a user would: its tests
// build it once, run `mallbots serve` in the background on a database and a
// RabbitMQ virtual host of their own, and run the operator commands against
// them with environment variables. It holds tests only.
package e2e
