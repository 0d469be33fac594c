// Loaded with `node --import` before the js-ipfs daemon (npm `ipfs`, the test stand-in for a
// kubo RPC endpoint): its locked dependencies call Promise.withResolvers, which Node 22 has
// and Node 20 lacks.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
