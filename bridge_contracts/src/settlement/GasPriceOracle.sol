// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {L1Block} from "./L1Block.sol";
import {SettlementTypes} from "./SettlementTypes.sol";

/// @title GasPriceOracle
/// @notice OP's GasPriceOracle predeploy (0x420000000000000000000000000000000000000F) for a
///         chain at the Ecotone upgrade: the L1 part of a transaction's fee from the L1Block
///         values, with Ecotone's formula
///           l1GasUsed = 16 * nonzero bytes + 4 * zero bytes + 68 * 16
///           fee = l1GasUsed * (16 * baseFeeScalar * l1BaseFee + blobBaseFeeScalar * blobBaseFee) / 16e6
///         xrollup's rollups are Ecotone chains from genesis (`isEcotone` true, `isFjord` and
///         `isIsthmus` false: Fjord's FastLZ size estimate is not emulated), so, as on OP, the
///         legacy `overhead()`/`scalar()` revert as deprecated and `getL1FeeUpperBound` as
///         Fjord-only. While the L1Block values are zero (a devnet without an L1) every fee is
///         zero, and every call still answers.
contract GasPriceOracle {
    /// @notice Number of decimals used in the scalar.
    uint256 public constant DECIMALS = 6;

    string public constant version = "1.3.1-beta.3";

    function isEcotone() public pure returns (bool) {
        return true;
    }

    function isFjord() public pure returns (bool) {
        return false;
    }

    function isIsthmus() public pure returns (bool) {
        return false;
    }

    /// @notice The operator fee of `_gasUsed` gas: zero before Isthmus, as OP's oracle
    ///         answers on such a chain (viem's `estimateTotalFee` asks for it).
    function getOperatorFee(uint256 _gasUsed) external pure returns (uint256) {
        _gasUsed;
        return 0;
    }

    /// @notice The L1 part of the fee of a transaction whose unsigned rlp encoding is `_data`.
    function getL1Fee(bytes memory _data) external view returns (uint256) {
        uint256 scaledBaseFee = uint256(baseFeeScalar()) * 16 * l1BaseFee();
        uint256 scaledBlobBaseFee = uint256(blobBaseFeeScalar()) * blobBaseFee();
        return getL1GasUsed(_data) * (scaledBaseFee + scaledBlobBaseFee) / (16 * 10 ** DECIMALS);
    }

    /// @notice The L1 gas of publishing `_data` (with 68 bytes for the missing signature).
    function getL1GasUsed(bytes memory _data) public pure returns (uint256) {
        uint256 total = 0;
        for (uint256 i = 0; i < _data.length; i++) {
            total += _data[i] == 0 ? 4 : 16;
        }
        return total + 68 * 16;
    }

    function getL1FeeUpperBound(uint256) external pure returns (uint256) {
        revert("GasPriceOracle: getL1FeeUpperBound only supports Fjord");
    }

    function gasPrice() public view returns (uint256) {
        return block.basefee;
    }

    function baseFee() public view returns (uint256) {
        return block.basefee;
    }

    function overhead() public pure returns (uint256) {
        revert("GasPriceOracle: overhead() is deprecated");
    }

    function scalar() public pure returns (uint256) {
        revert("GasPriceOracle: scalar() is deprecated");
    }

    function l1BaseFee() public view returns (uint256) {
        return L1Block(SettlementTypes.L1_BLOCK).basefee();
    }

    function blobBaseFee() public view returns (uint256) {
        return L1Block(SettlementTypes.L1_BLOCK).blobBaseFee();
    }

    function baseFeeScalar() public view returns (uint32) {
        return L1Block(SettlementTypes.L1_BLOCK).baseFeeScalar();
    }

    function blobBaseFeeScalar() public view returns (uint32) {
        return L1Block(SettlementTypes.L1_BLOCK).blobBaseFeeScalar();
    }

    function decimals() public pure returns (uint256) {
        return DECIMALS;
    }
}
