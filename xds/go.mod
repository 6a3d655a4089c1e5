module wasp.dev/xds

go 1.26

require wasp.dev/filters v0.0.0

replace wasp.dev/filters => ../filters
