// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SafeSend
/// @notice Sends its creation value to `_recipient` without calling it (as OP's SafeSend): the
///         contract self-destructs in its constructor, which credits the recipient without
///         running its code. Created and destroyed in one transaction, so nothing remains.
contract SafeSend {
    constructor(address payable _recipient) payable {
        selfdestruct(_recipient);
    }
}
