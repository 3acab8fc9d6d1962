// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Counter} from "../src/Counter.sol";

/// The cheatcodes this script uses (forge-std's Vm, without the library).
interface Vm {
    function startBroadcast() external;
    function stopBroadcast() external;
}

contract CounterScript {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function run() external returns (Counter counter) {
        vm.startBroadcast();
        counter = new Counter();
        counter.setNumber(41);
        counter.increment();
        vm.stopBroadcast();
    }
}
