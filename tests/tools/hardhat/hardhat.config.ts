import path from "node:path";

import { defineConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";

export default defineConfig({
  plugins: [hardhatEthers, hardhatNetworkHelpers, hardhatNodeTestRunner],
  solidity: {
    version: "0.8.37",
    // offline: npm's solc (an absolute path) instead of a download
    path: path.join(import.meta.dirname, "node_modules/solc/soljson.js"),
  },
  networks: {
    xrollup: {
      type: "http",
      url: process.env.XROLLUP_URL ?? "http://127.0.0.1:9545",
      chainId: Number(process.env.XROLLUP_CHAIN_ID ?? 901),
    },
  },
});
