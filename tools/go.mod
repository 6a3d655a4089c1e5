module wasp.dev/tools

go 1.26
