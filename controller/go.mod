module wasp.dev/controller

go 1.26
