// Hardhat 3 with hardhat-network-helpers against an xrollup chain (`--network xrollup`).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { time, mine, loadFixture, takeSnapshot, impersonateAccount, setBalance } = networkHelpers;

const ONE_HOUR = 3600;
const LOCKED = 1_000_000_000n;

async function deployLock() {
  const unlockTime = (await time.latest()) + ONE_HOUR;
  const [owner, other] = await ethers.getSigners();
  const lock = await ethers.deployContract("Lock", [unlockTime], { value: LOCKED });
  return { lock, unlockTime, owner, other };
}

describe("Lock on xrollup", () => {
  it("loadFixture deploys once, then restores the fixture's state", async () => {
    const first = await loadFixture(deployLock);
    const blockAfterFixture = await ethers.provider.getBlockNumber();
    await mine(3);
    const second = await loadFixture(deployLock);
    assert.equal(await second.lock.getAddress(), await first.lock.getAddress());
    assert.equal(await ethers.provider.getBlockNumber(), blockAfterFixture);
    assert.equal(await ethers.provider.getBalance(second.lock.target), LOCKED);
  });

  it("time.increase waits out the lock", async () => {
    const { lock, unlockTime, owner } = await loadFixture(deployLock);
    await assert.rejects(lock.withdraw(), /You can't withdraw yet/);
    const latest = await time.increase(ONE_HOUR);
    assert.ok(latest >= unlockTime, `${latest} < ${unlockTime}`);
    const before = await ethers.provider.getBalance(owner.address);
    const receipt = await (await lock.withdraw()).wait();
    assert.equal(receipt?.status, 1);
    assert.equal(await ethers.provider.getBalance(lock.target), 0n);
    const fee = receipt!.gasUsed * receipt!.gasPrice;
    assert.equal(await ethers.provider.getBalance(owner.address), before + LOCKED - fee);
  });

  it("a revert's reason reaches the caller", async () => {
    const { lock, other } = await loadFixture(deployLock);
    await time.increaseTo((await lock.unlockTime()) + 1n);
    await assert.rejects(lock.connect(other).withdraw(), /You aren't the owner/);
  });

  it("mine(blocks, { interval }) mines the blocks with that spacing", async () => {
    const start = await ethers.provider.getBlockNumber();
    await mine(5, { interval: 60 });
    assert.equal(await ethers.provider.getBlockNumber(), start + 5);
    const first = await ethers.provider.getBlock(start + 1);
    const last = await ethers.provider.getBlock(start + 5);
    assert.equal(last!.timestamp - first!.timestamp, 4 * 60);
  });

  it("takeSnapshot restores blocks, balances and code", async () => {
    const { lock, owner } = await loadFixture(deployLock);
    const snapshot = await takeSnapshot();
    const block = await ethers.provider.getBlockNumber();
    const balance = await ethers.provider.getBalance(owner.address);
    await time.increase(ONE_HOUR);
    await (await lock.withdraw()).wait();
    await mine(2);
    await snapshot.restore();
    assert.equal(await ethers.provider.getBlockNumber(), block);
    assert.equal(await ethers.provider.getBalance(owner.address), balance);
    assert.equal(await ethers.provider.getBalance(lock.target), LOCKED);
    // restore() can be called again
    await mine(1);
    await snapshot.restore();
    assert.equal(await ethers.provider.getBlockNumber(), block);
  });

  it("impersonateAccount and setBalance send from an address without a key", async () => {
    const { other } = await loadFixture(deployLock);
    const whale = "0x000000000000000000000000000000000000dEaD";
    await setBalance(whale, 10n ** 20n);
    assert.equal(await ethers.provider.getBalance(whale), 10n ** 20n);
    await impersonateAccount(whale);
    const signer = await ethers.getSigner(whale);
    const before = await ethers.provider.getBalance(other.address);
    const receipt = await (await signer.sendTransaction({ to: other.address, value: 5n })).wait();
    assert.equal(receipt?.from.toLowerCase(), whale.toLowerCase());
    assert.equal(await ethers.provider.getBalance(other.address), before + 5n);
    await networkHelpers.stopImpersonatingAccount(whale);
    await assert.rejects(signer.sendTransaction({ to: other.address, value: 5n }));
  });

  it("runs code compiled for osaka (CLZ)", async () => {
    const { lock } = await loadFixture(deployLock);
    assert.equal(await lock.leadingZeros(1n), 255n);
    assert.equal(await lock.leadingZeros(0n), 256n);
  });
});
