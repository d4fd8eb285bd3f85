# Builds the single mallbots binary and ships it alone in a distroless image.
# The same image runs any subset of services: `serve --service=orders`, etc.

# The Go version here must match the `go` directive in go.mod (compose_test.go checks it).
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so that this layer stays cached while only source changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static binary (no cgo): the runtime image has no libc.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/mallbots .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mallbots /usr/local/bin/mallbots
# serve listens on loopback by default; in a container that is unreachable,
# so listen on every interface of the container and publish the port.
ENV MALLBOTS_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/mallbots"]
CMD ["serve"]
