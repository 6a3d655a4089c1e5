# syntax=docker/dockerfile:1
# wasp controller image: build the Go proxy-wasm filters (wasip1), embed them in
# the controller, build the single `wasp` binary, ship it on distroless nonroot.
# Build with `make image` (needs a Docker engine).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
# Module downloads first, so source edits keep this layer cached.
COPY go.work go.work.sum ./
COPY controller/go.mod controller/go.sum* controller/
COPY xds/go.mod xds/go.sum* xds/
COPY filters/go.mod filters/go.sum* filters/
COPY filters/abi/go.mod filters/abi/go.sum* filters/abi/
COPY e2e/go.mod e2e/go.sum* e2e/
COPY tools/go.mod tools/go.sum* tools/
RUN go mod download
COPY . .
# build-wasp builds the filters (wasip1), copies them where the controller
# embeds them (it serves them to Envoy by sha256), then builds bin/wasp.
RUN make build-wasp && mkdir -p /out && cp bin/wasp /out/wasp

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/wasp /wasp
USER 65532:65532
ENTRYPOINT ["/wasp"]
CMD ["controller"]
