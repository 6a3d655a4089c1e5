# Container image. Needs a Docker engine; this repository's development and CI
# machines have none, so the target says so instead of failing obscurely.
IMAGE ?= ghcr.io/wasp-dev/wasp:dev

.PHONY: image
image: ## build the controller image with Docker (needs a Docker engine)
	@if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then \
	  echo "make image: no Docker engine is reachable here (docker info failed)."; \
	  echo "Build the image on a machine with Docker: docker build -t $(IMAGE) ."; \
	  exit 2; \
	fi
	docker build -t $(IMAGE) .
