// The rest of hardhat-network-helpers against an xrollup chain, each undone by a snapshot.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";

import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { time, mine, mineUpTo, takeSnapshot } = networkHelpers;
const EMPTY = "0x00000000000000000000000000000000000000aa";

describe("the other network helpers on xrollup", () => {
  let snapshot: Awaited<ReturnType<typeof takeSnapshot>>;
  beforeEach(async () => {
    snapshot = await takeSnapshot();
  });
  afterEach(async () => {
    await snapshot.restore();
  });

  it("setCode, setStorageAt, getStorageAt, setNonce", async () => {
    await networkHelpers.setCode(EMPTY, "0x600160005260206000f3");
    assert.equal(await ethers.provider.getCode(EMPTY), "0x600160005260206000f3");
    await networkHelpers.setStorageAt(EMPTY, 3, 42);
    assert.equal(BigInt(await networkHelpers.getStorageAt(EMPTY, 3)), 42n);
    await networkHelpers.setNonce(EMPTY, 7);
    assert.equal(await ethers.provider.getTransactionCount(EMPTY), 7);
  });

  it("mineUpTo, time.latestBlock, time.setNextBlockTimestamp", async () => {
    const start = await time.latestBlock();
    await mineUpTo(start + 3);
    assert.equal(await time.latestBlock(), start + 3);
    const next = (await time.latest()) + 100;
    await time.setNextBlockTimestamp(next);
    await mine();
    assert.equal(await time.latest(), next);
  });

  it("setNextBlockBaseFeePerGas, setCoinbase, setBlockGasLimit", async () => {
    await networkHelpers.setNextBlockBaseFeePerGas(123_456_789);
    await mine();
    assert.equal((await ethers.provider.getBlock("latest"))!.baseFeePerGas, 123_456_789n);
    const coinbase = (await ethers.provider.getBlock("latest"))!.miner;
    await networkHelpers.setCoinbase(EMPTY);
    await mine();
    assert.equal((await ethers.provider.getBlock("latest"))!.miner.toLowerCase(), EMPTY);
    await networkHelpers.setCoinbase(coinbase);  // a snapshot's revert leaves the coinbase as it is
    await networkHelpers.setBlockGasLimit(25_000_000);
    await mine();
    assert.equal((await ethers.provider.getBlock("latest"))!.gasLimit, 25_000_000n);
  });

  it("dropTransaction", async () => {
    await ethers.provider.send("evm_setAutomine", [false]);
    try {
      const [owner] = await ethers.getSigners();
      const tx = await owner.sendTransaction({ to: EMPTY, value: 1n });
      assert.equal(await networkHelpers.dropTransaction(tx.hash), true);
      assert.equal(await networkHelpers.dropTransaction(tx.hash), false);
      await mine();
      assert.equal(await ethers.provider.getTransaction(tx.hash), null);
    } finally {
      await ethers.provider.send("evm_setAutomine", [true]);
    }
  });
});
