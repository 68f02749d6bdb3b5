export * from 'shardwright-wasm32-wasi'
