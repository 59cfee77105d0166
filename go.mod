module github.com/memrel/memrel

go 1.24

require (
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/go-memdb v1.3.5
)

require (
	github.com/hashicorp/go-immutable-radix v1.3.1 // indirect
	github.com/hashicorp/golang-lru v0.5.4 // indirect
)
