package messaging

import amqp "github.com/rabbitmq/amqp091-go"

// DecodePoisoned is what replay reads from a poison queue delivery.
func DecodePoisoned(service string, d amqp.Delivery) PoisonMessage { return decodePoisoned(service, d) }
