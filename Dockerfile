# syntax=docker/dockerfile:1
# RepCoach container image: a static binary on a distroless base.
#   docker build -t repcoach .
#   docker compose up -d        (compose.yaml: Redis 7 with persistence + the bot)

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no libc), time zone data embedded in the binary (cmd/repcoach
# imports time/tzdata). The build context has no .git (.dockerignore), so
# the version and VCS revision for `repcoach version` come as build
# arguments, stamped as scripts/release does:
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg REVISION=$(git rev-parse HEAD) -t repcoach .
# TestStaticBinaryWithoutZoneinfo and TestVersionStamped build it the same way.
ARG VERSION=""
ARG REVISION=""
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath \
      -ldflags="-s -w -X main.release=${VERSION} -X main.revision=${REVISION}" \
      -o /out/repcoach ./cmd/repcoach

FROM gcr.io/distroless/static-debian12:nonroot
# distroless/static carries CA certificates (Slack's TLS) and runs as
# uid 65532; it has no shell and no zoneinfo of its own.
COPY --from=build /out/repcoach /usr/local/bin/repcoach
USER nonroot:nonroot
ENV REPCOACH_HTTP_ADDR=:8080 \
    REPCOACH_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/repcoach", "health"]
ENTRYPOINT ["/usr/local/bin/repcoach"]
CMD ["run"]
